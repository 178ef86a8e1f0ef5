"""The demo tenant: a simulated small-appliance brand. Everything here is marked as simulated."""
