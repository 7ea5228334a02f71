//! Packet traces of live sessions and decoding of captures.
