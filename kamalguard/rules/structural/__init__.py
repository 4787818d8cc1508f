"""Structural rules (KG0xx): is this a config Kamal 2.11 accepts?"""
