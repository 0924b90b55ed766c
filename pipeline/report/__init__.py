"""The yearly evaluation report (HTML, Dutch)."""
