"""People and machines that act in billpay: users, roles, API tokens."""
