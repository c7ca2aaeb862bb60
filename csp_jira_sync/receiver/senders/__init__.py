"""One module per sender: how its deliveries are verified and parsed into inbox items."""
