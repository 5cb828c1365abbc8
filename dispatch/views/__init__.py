"""Pages of the dispatch app: the command centre (`command`), the department workspace (`dept`) and the case
panel they share (`panel`). Views are interfaces: parse input, call one selector or service, render."""
