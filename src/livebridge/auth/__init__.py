"""Who you are: passwords, API keys and console sessions."""
