"""Geography: postcodes, points and distances."""
