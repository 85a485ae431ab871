"""The hub's directory: users (with states), user groups and memberships."""
