"""Console notifications, written in the transaction of the change they announce."""
