"""Mine faktura: the citizen's invoices with PDF and paid/unpaid status."""
