"""Help Scout: signatures (iframe app and legacy dynamic app), OAuth (authlib), the Mailbox API v2 client."""
