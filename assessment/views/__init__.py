"""Pages of the assessment: interfaces that parse the request, call selectors and render."""
