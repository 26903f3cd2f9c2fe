"""Who is acting: account API keys today, helpdesk sidebar tokens and admin sessions next."""
