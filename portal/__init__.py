"""The customer portal (hosted page, widget, Socket.IO); built by the Customer portal issue."""
