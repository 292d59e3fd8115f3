"""The office's commands in the chat (/moi, /mokhoa, /chuabaocao, /quantri): administrators,
and zone-level union officers for their own zone (services/office/powers.py decides who)."""
