"""What people see: the pages of jingwang. Data comes from :mod:`api.services`; nothing here writes."""
