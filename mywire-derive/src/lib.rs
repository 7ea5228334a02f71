use proc_macro::TokenStream;
#[proc_macro_derive(FromRow, attributes(mywire))]
pub fn derive_from_row(_i: TokenStream) -> TokenStream {
    TokenStream::new()
}
