# English dates written out ("January 1, 2026"), not Django's abbreviated "Jan. 1, 2026".
DATE_FORMAT = "F j, Y"
SHORT_DATE_FORMAT = "d/m/Y"
