"""Write use-cases of dispatch, one module per area (timers, …); import from the module itself."""
