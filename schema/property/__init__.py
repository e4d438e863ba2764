"""Min eiendom: the citizen's properties, fee and tax bases, water meters and map."""
