"""Pure spatial analysis for jingwang: GeoDataFrames and shapely in, plain data out.

Nothing in this package imports Flask or a database session.
"""
