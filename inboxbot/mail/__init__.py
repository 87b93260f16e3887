"""Raw bytes → the typed mail: parsing, text parts, HTML, attachments, charsets, classification. Pure."""
