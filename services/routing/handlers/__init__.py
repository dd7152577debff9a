"""routing's use cases, one module per family: async functions over the domain and the adapters."""
