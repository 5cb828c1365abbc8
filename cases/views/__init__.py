"""Server-rendered pages of the cases app. Views are interfaces: parse, call one selector or service, render."""
