"""Sign-in (pages), bearer tokens (API), and the loaders that turn either into a user."""
