"""The resident's pages: the QR landing form, the confirmation and the tracking page."""
