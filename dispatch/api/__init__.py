"""REST API of the dispatch app, one module per area; routes in dispatch/api/urls.py."""
