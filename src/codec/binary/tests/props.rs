//! Property tests of binary rows and values.

use super::*;
use proptest::prelude::*;

proptest! {
    /// Arbitrary bytes with arbitrary column types: never a panic; a row that parses
    /// re-encodes to a row that parses to the same cells.
    #[test]
    fn any_bytes_any_types(
        row in proptest::collection::vec(any::<u8>(), 0..64),
        codes in proptest::collection::vec(
            prop_oneof![Just(0x01u8), Just(0x02), Just(0x03), Just(0x05), Just(0x06),
                Just(0x07), Just(0x0b), Just(0x0c), Just(0xfd), any::<u8>()], 0..10),
    ) {
        let mut row = row;
        if let Some(b) = row.first_mut() { *b = 0; }
        if let Ok(cells) = parse(&row, &codes) {
            let list: Vec<Option<&[u8]>> = (0..codes.len()).map(|i| cells.get(&row, i)).collect();
            let mut out = BytesMut::new();
            encode_binary_row_cells(&types(&codes), &list, &mut out);
            let again = parse(&out, &codes).unwrap();
            for (i, c) in list.iter().enumerate() {
                prop_assert_eq!(again.get(&out, i), *c);
            }
        }
    }

    /// The one-pass parser and the field-by-field one agree: whenever the fast one accepts a
    /// row the checked one accepts it with the same cells, and the fast one declines every row
    /// the checked one refuses (so errors always come from the checked one).
    #[test]
    fn the_fast_and_the_checked_parser_agree(
        row in proptest::collection::vec(prop_oneof![Just(0u8), Just(4), Just(0xfc), Just(0xfd), any::<u8>()], 0..64),
        codes in proptest::collection::vec(
            prop_oneof![Just(0x01u8), Just(0x02), Just(0x03), Just(0x05), Just(0x06),
                Just(0x07), Just(0x0b), Just(0x0c), Just(0xfd), any::<u8>()], 0..12),
    ) {
        let mut row = row;
        if let Some(b) = row.first_mut() { *b = 0; }
        let t = types(&codes);
        let mut fast = BinaryRowCells::new();
        let accepted = fast.parse_fast(&row, t.iter().copied().map(BinaryLayout::of));
        let mut checked = BinaryRowCells::new();
        let r = checked.parse_checked(&row, t.iter().copied());
        if accepted {
            prop_assert!(r.is_ok(), "{:?}", r);
            prop_assert_eq!(fast.len(), checked.len());
            for i in 0..codes.len() {
                prop_assert_eq!(fast.get(&row, i), checked.get(&row, i));
                prop_assert_eq!(fast.is_null(i), checked.is_null(i));
            }
        }
        if r.is_err() {
            prop_assert!(!accepted);
        }
    }
}

proptest! {
    /// Splitting with the layouts kept beside the columns (what the engine does per row) gives
    /// what [`BinaryRowCells::parse_types`] gives: the same cells or the same error.
    #[test]
    fn parse_with_layouts_is_parse_types(
        row in proptest::collection::vec(prop_oneof![Just(0u8), Just(4), Just(7), Just(0xfc), any::<u8>()], 0..64),
        codes in proptest::collection::vec(
            prop_oneof![Just(0x01u8), Just(0x03), Just(0x05), Just(0x06), Just(0x0c),
                Just(0x0b), Just(0xf6), Just(0xfd), any::<u8>()], 0..12),
    ) {
        let mut row = row;
        if let Some(b) = row.first_mut() { *b = 0; }
        let columns: Vec<ColumnDefinition> = types(&codes).into_iter().map(column).collect();
        let layouts: Vec<BinaryLayout> = columns.iter().map(|c| BinaryLayout::of(c.column_type)).collect();
        let mut by_types = BinaryRowCells::new();
        let a = by_types.parse_types(&row, types(&codes));
        let mut by_layouts = BinaryRowCells::new();
        let b = by_layouts.parse_with_layouts(&row, &columns, &layouts);
        prop_assert_eq!(&a, &b);
        if a.is_ok() {
            prop_assert_eq!(by_types.len(), by_layouts.len());
            for i in 0..codes.len() {
                prop_assert_eq!(by_types.get(&row, i), by_layouts.get(&row, i));
            }
        }
    }
}
