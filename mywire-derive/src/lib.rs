//! `#[derive(FromRow)]` for mywire (re-exported as `mywire::FromRow` with mywire's `derive`
//! feature): a struct read from a row.
//!
//! - A struct with named fields reads each field from the column of the field's name
//!   (compared exactly, then ignoring ASCII case, as `Row::get` does); `#[mywire(rename =
//!   "col")]` names another column.
//! - A field of type `Option<T>` reads NULL as `None`; any other type makes NULL an error
//!   naming the column. `#[mywire(default)]` lets the column be absent from the result (the
//!   field is then `Default::default()`); without it an absent column is an error.
//! - A tuple struct reads its fields by position.
//! - The struct may borrow from the row with one lifetime parameter (`struct R<'a> { name:
//!   &'a str }`); type parameters are not supported.
//!
//! Each field is read with `Row::value`, so every type with a `FromValue` conversion works,
//! and a wrong type or an out-of-range value is the row's error naming the column.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields, GenericParam, LitStr};

/// Derives `mywire::FromRow`: see the [crate documentation](crate).
#[proc_macro_derive(FromRow, attributes(mywire))]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// What `#[mywire(...)]` says about one field.
#[derive(Default)]
struct FieldAttrs {
    rename: Option<String>,
    default: bool,
}

fn field_attrs(attrs: &[syn::Attribute]) -> syn::Result<FieldAttrs> {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("mywire")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let s: LitStr = meta.value()?.parse()?;
                out.rename = Some(s.value());
                Ok(())
            } else if meta.path.is_ident("default") {
                out.default = true;
                Ok(())
            } else {
                Err(meta
                    .error("unknown mywire attribute (expected `rename = \"...\"` or `default`)"))
            }
        })?;
    }
    Ok(out)
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let mut lifetimes = Vec::new();
    for p in &input.generics.params {
        match p {
            GenericParam::Lifetime(l) => lifetimes.push(l.lifetime.clone()),
            _ => {
                return Err(syn::Error::new_spanned(
                    p,
                    "FromRow: only a lifetime parameter is supported",
                ))
            }
        }
    }
    if lifetimes.len() > 1 {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "FromRow: at most one lifetime parameter (the row's)",
        ));
    }
    let (row_lt, impl_generics, ty_generics) = match lifetimes.first() {
        Some(lt) => (lt.clone(), quote!(<#lt>), quote!(<#lt>)),
        None => {
            let lt = syn::Lifetime::new("'__mywire_row", Span::call_site());
            (lt.clone(), quote!(<#lt>), quote!())
        }
    };
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            name,
            "FromRow can be derived for structs only",
        ));
    };
    let body = match &data.fields {
        Fields::Named(fields) => {
            let mut inits = Vec::new();
            for f in &fields.named {
                let attrs = field_attrs(&f.attrs)?;
                let Some(ident) = &f.ident else {
                    return Err(syn::Error::new_spanned(f, "a named field without a name"));
                };
                let col = attrs.rename.clone().unwrap_or_else(|| {
                    let s = ident.to_string();
                    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
                });
                let ty = &f.ty;
                let read = if attrs.default {
                    quote! {
                        match row.column_index(#col) {
                            ::core::option::Option::Some(i) => row.value::<#ty>(i)?,
                            ::core::option::Option::None => ::core::default::Default::default(),
                        }
                    }
                } else {
                    quote!(row.value::<#ty>(#col)?)
                };
                inits.push(quote!(#ident: #read));
            }
            quote!(Self { #(#inits),* })
        }
        Fields::Unnamed(fields) => {
            let mut inits = Vec::new();
            for (i, f) in fields.unnamed.iter().enumerate() {
                let attrs = field_attrs(&f.attrs)?;
                if attrs.rename.is_some() || attrs.default {
                    return Err(syn::Error::new_spanned(
                        f,
                        "FromRow: a tuple struct reads its fields by position (no rename, no default)",
                    ));
                }
                let ty = &f.ty;
                inits.push(quote!(row.value::<#ty>(#i)?));
            }
            quote!(Self(#(#inits),*))
        }
        Fields::Unit => {
            return Err(syn::Error::new_spanned(
                name,
                "FromRow cannot be derived for a unit struct",
            ))
        }
    };
    Ok(quote! {
        impl #impl_generics ::mywire::FromRow<#row_lt> for #name #ty_generics {
            fn from_row(
                row: &::mywire::Row<#row_lt>,
            ) -> ::core::result::Result<Self, ::mywire::Error> {
                ::core::result::Result::Ok(#body)
            }
        }
    })
}
