"""Orders and after-sale requests from platform exports: import, attribution to hosts, sessions and dealers."""
