"""The audit chain: a tamper-evident, hash-chained log of orders, refunds, agreements and settlements."""
