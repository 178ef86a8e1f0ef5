"""Host scorecards: what each host really sold, net of refunds and fakes, compared and ranked."""
