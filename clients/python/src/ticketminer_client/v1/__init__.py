"""Generated stubs (clients/python/generate_stubs.py); do not edit."""
