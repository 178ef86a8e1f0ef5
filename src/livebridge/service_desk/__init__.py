"""Service tickets: routing after-sale requests to dealers, the ticket lifecycle, deadlines and the dealer portal."""
