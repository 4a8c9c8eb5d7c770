"""Reading a WhatsApp chat export (`.txt`, or `.zip` with media), standard library only."""
