"""Every write that has rules: views, admin, tasks and commands call these functions."""
