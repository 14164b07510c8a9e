# Django's French formats, with the thousands separated by a no-break space. The ordinal "1er" of a
# month's first day is added by partnerportal.formatting.date_format (format strings cannot say it).
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
THOUSAND_SEPARATOR = "\xa0"
