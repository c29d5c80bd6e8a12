"""The minimal entry: start-up stages as modules named in load order (boot0, boot1, boot2, boot3).

Only the standard library and lean sloppy modules may be imported here.
"""
