"""Goods that pass the supervision zone without an electronic declaration (Arts 35.3, 36.3, 37, 38):
paper declarations, special cases allowed by an authority's document, export goods brought into a port
without customs procedure (the branch head approves their exit), and the form 07/DSHHG/GSQL made for them."""
