"""HTTP plumbing shared by the app's routers: middleware and dependencies."""
