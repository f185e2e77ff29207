"""Realistic fake data at clinic-network size (generate_demo_data). Bench and development
only: every person in it is invented."""
