"""Branches (Chi cục), their locations (gates, ports, warehouses, CFS) and the people who use giamsat."""
