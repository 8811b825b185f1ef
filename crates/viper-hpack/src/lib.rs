#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod decoder;
mod encoder;
mod huffman;
mod static_table;
mod table;

pub use decoder::{DecodeError, Decoder, DecoderConfig};
pub use encoder::{Encoder, EncoderConfig, IndexPolicy};

/// One header field, borrowed.
///
/// `sensitive` means the field was decoded from, or is to be encoded as, a never-indexed
/// literal (RFC 7541 §6.2.3): intermediaries must not compress it either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header<'a> {
    /// The field name (lowercase in HTTP/2).
    pub name: &'a [u8],
    /// The field value.
    pub value: &'a [u8],
    /// Never-indexed literal (see above).
    pub sensitive: bool,
}

impl<'a> Header<'a> {
    /// A field that may be indexed.
    pub const fn new(name: &'a [u8], value: &'a [u8]) -> Self {
        Header {
            name,
            value,
            sensitive: false,
        }
    }

    /// A field to be sent as a never-indexed literal.
    pub const fn sensitive(name: &'a [u8], value: &'a [u8]) -> Self {
        Header {
            name,
            value,
            sensitive: true,
        }
    }

    /// Its size as RFC 7541 §4.1 and RFC 9113 §6.5.2 count it: name + value + 32.
    pub const fn size(&self) -> usize {
        self.name.len() + self.value.len() + 32
    }
}
