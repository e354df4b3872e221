//! govern's one Avro schema parser (`govern.avro.parse_schema` calls it): JSON text in, the node
//! graph of `govern.avro.model` out (`Node` and `Field` objects), with Avro Java's rules for
//! names, namespaces, aliases, unions and defaults. JSON is decoded by serde_json into `J` (order
//! kept, numbers exact) and only what the graph holds becomes Python objects: no Python value of
//! the whole document is built (`AvroSchema.json` decodes the text when someone asks for it).
//!
//! Errors are `SchemaError(reason, pointer, hint)`, `InvalidDefault(field, pointer)` (worded in
//! Python with the type as Avro Java prints it) and `JsonError(message, line, column)`; the
//! Python side adds file:line:col.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyFrozenSet, PyList, PyString, PyTuple, PyType};
use pyo3::{create_exception, intern};
use serde::Deserialize;

use crate::json::{integer_text, json_depth, J};

create_exception!(_native, SchemaError, PyValueError, "An invalid Avro schema: args (reason, JSON pointer, hint or None).");
create_exception!(_native, InvalidDefault, PyValueError, "A field default that is no value of its type: args (field, JSON pointer).");
create_exception!(_native, JsonError, PyValueError, "Text that is not JSON: args (message, line, column).");

/// Deeper JSON than Python's json module decodes (about 1,000 levels) is refused before parsing.
pub const MAX_JSON_DEPTH: usize = 1000;

const PRIMITIVES: [&str; 8] = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"];
const SCHEMA_RESERVED: [&str; 10] = ["doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"];
const FIELD_RESERVED: [&str; 6] = ["default", "doc", "name", "order", "type", "aliases"];

/// The JSON value of `text` (at most `MAX_JSON_DEPTH` deep), or a JsonError.
fn decode(text: &str) -> PyResult<J<'_>> {
    // counting brackets is cheap and settles the common case: no deeper than there are brackets
    let brackets = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if brackets > MAX_JSON_DEPTH && json_depth(text.as_bytes(), MAX_JSON_DEPTH) > MAX_JSON_DEPTH {
        return Err(JsonError::new_err(("nesting too deep", 1, 1)));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit(); // bounded by the scan above
    let value = J::deserialize(&mut de).and_then(|v| de.end().map(|_| v));
    value.map_err(|e| {
        let message = e.to_string();
        let bare = message.split(" at line ").next().unwrap_or(&message).to_string();
        JsonError::new_err((bare, e.line(), e.column()))
    })
}

fn is_primitive(name: &str) -> bool {
    PRIMITIVES.contains(&name)
}

/// Avro Java's strict name rule: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// One RFC 6901 reference token appended to a pointer.
fn join_pointer(parent: &str, token: &str) -> String {
    format!("{parent}/{}", token.replace('~', "~0").replace('/', "~1"))
}

fn strings<'a>(value: &'a J<'_>) -> Option<Vec<&'a str>> {
    match value {
        J::Arr(items) => items.iter().map(J::as_str).collect(),
        _ => None,
    }
}

fn has(obj: &J, key: &str) -> bool {
    obj.get(key).is_some()
}

/// `obj.get(key)` as Python sees it: a missing key and JSON null are both None.
fn present<'a, 'j>(obj: &'a J<'j>, key: &str) -> Option<&'a J<'j>> {
    obj.get(key).filter(|v| !v.is_null())
}

/// A JSON value as Python's json module decodes it.
fn to_py<'py>(py: Python<'py>, value: &J) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        J::Null => py.None().into_bound(py),
        J::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        J::Str(s) => PyString::new(py, s).into_any(),
        J::Num(text) => {
            if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
                PyFloat::new(py, text.parse::<f64>().map_err(|e| PyValueError::new_err(e.to_string()))?).into_any()
            } else if let Ok(n) = text.parse::<i64>() {
                n.into_pyobject(py)?.into_any()
            } else {
                py.get_type::<pyo3::types::PyInt>().call1((text.as_ref(),))?
            }
        }
        J::Arr(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        J::Obj(pairs) => {
            let dict = PyDict::new(py);
            for (key, item) in pairs {
                dict.set_item(key.as_ref(), to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// `json.dumps(value)` (for messages quoting a value as Avro Java quotes it).
fn dumps(py: Python<'_>, value: &J) -> PyResult<String> {
    py.import("json")?.getattr("dumps")?.call1((to_py(py, value)?,))?.extract()
}

/// `str(value)` of the decoded value (for messages that print it as Python does).
fn py_str(py: Python<'_>, value: &J) -> PyResult<String> {
    Ok(to_py(py, value)?.str()?.to_string())
}

/// The interned name of an Avro type (the graph's `type` values: compared by identity in the
/// walk's fast paths, and created once per process).
fn type_name<'py>(py: Python<'py>, name: &str) -> &'py Bound<'py, PyString> {
    match name {
        "null" => intern!(py, "null"),
        "boolean" => intern!(py, "boolean"),
        "int" => intern!(py, "int"),
        "long" => intern!(py, "long"),
        "float" => intern!(py, "float"),
        "double" => intern!(py, "double"),
        "bytes" => intern!(py, "bytes"),
        "string" => intern!(py, "string"),
        "record" => intern!(py, "record"),
        "enum" => intern!(py, "enum"),
        "fixed" => intern!(py, "fixed"),
        "array" => intern!(py, "array"),
        "map" => intern!(py, "map"),
        "union" => intern!(py, "union"),
        _ => unreachable!("not an Avro type: {name}"),
    }
}

/// A strict parse checks defaults once the whole document is known (a field may use a type
/// defined after it).
struct Deferred<'py, 'j> {
    field: Bound<'py, PyAny>,
    type_ref: Bound<'py, PyAny>,
    default: &'j J<'j>,
    pointer: String,
}

struct Parser<'py, 'j> {
    py: Python<'py>,
    strict: bool,
    types: Bound<'py, PyDict>,
    origin: Bound<'py, PyAny>,
    node_cls: Bound<'py, PyType>,
    field_cls: Bound<'py, PyType>,
    empty: Bound<'py, PyTuple>,
    deferred: Vec<Deferred<'py, 'j>>,
    ambiguous: bool,
    /// The records this document defines, in definition order, and by full name.
    records: Vec<Record<'py>>,
    record_index: HashMap<String, usize>,
    /// The record whose fields are being parsed.
    current: Option<usize>,
}

/// A record defined by the document being parsed: what it owns that may be on a cycle (its
/// field list and map, fields and anonymous types reaching a record of this document) and the
/// records of this document its fields reach directly.
struct Record<'py> {
    node: Node<'py>,
    owned: Vec<Bound<'py, PyAny>>,
    reaches: Vec<usize>,
}

type Node<'py> = Bound<'py, PyAny>;

impl<'py, 'j> Parser<'py, 'j> {
    fn fail(&self, reason: impl Into<String>, pointer: &str, hint: Option<&str>) -> PyErr {
        SchemaError::new_err((reason.into(), pointer.to_string(), hint.map(str::to_string)))
    }

    /// A new instance of `cls` (a plain Python class) without running its `__init__`: what
    /// `object.__new__(cls)` does, without the call's argument handling (a third of building a
    /// field went there).
    fn instance(&self, cls: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        // SAFETY: object's tp_new with an empty argument tuple is object.__new__(cls); cls is a
        // subclass of object (Node, Field) and the result is a new reference or NULL with an error.
        unsafe {
            let new = (*std::ptr::addr_of!(pyo3::ffi::PyBaseObject_Type)).tp_new.expect("object has tp_new");
            let object = new(cls.as_type_ptr(), self.empty.as_ptr(), std::ptr::null_mut());
            Bound::from_owned_ptr_or_err(py, object)
        }
    }

    /// A `Node` of `kind` at `pointer` (its class keeps every other attribute's default).
    fn node(&self, kind: &str, pointer: &str) -> PyResult<Node<'py>> {
        let py = self.py;
        let node = self.instance(&self.node_cls)?;
        node.setattr(intern!(py, "type"), type_name(py, kind))?;
        node.setattr(intern!(py, "pointer"), pointer)?;
        node.setattr(intern!(py, "origin"), &self.origin)?;
        Ok(node)
    }

    /// Untrack `object` from the cycle collector: it is on no reference cycle, so reference
    /// counting frees it. Only records close cycles (a recursive type names a record being
    /// defined), and nodes from references cannot reach this document's, so an object is on no
    /// cycle when it reaches no record of this document (a "leaf") or belongs to a record on no
    /// cycle (`untrack_acyclic`). A parsed schema is a few hundred objects; left tracked, the
    /// collector's full passes over every live schema cost more than parsing (two thirds of
    /// `parse_schema` with a thousand schemas alive). The graph is not changed after parsing
    /// (`Field.type` only replaces a primitive's name by its leaf node).
    fn leaf<T>(&self, object: Bound<'py, T>) -> Bound<'py, T> {
        // SAFETY: a live object of a GC type (lists, instances of Node and Field); untracking
        // an object twice is allowed.
        unsafe { pyo3::ffi::PyObject_GC_UnTrack(object.as_ptr().cast()) };
        object
    }

    /// A named type found by name: a leaf unless it is a record of this document, which the
    /// current record then reaches.
    fn named_leaf(&mut self, found: Node<'py>, full: &str) -> (Node<'py>, bool) {
        match self.record_index.get(full) {
            Some(&index) => {
                self.reach(index);
                (found, false)
            }
            None => (found, true),
        }
    }

    /// The current record reaches record `index` through its fields.
    fn reach(&mut self, index: usize) {
        if let Some(current) = self.current {
            self.records[current].reaches.push(index);
        }
    }

    /// Keep `object` (not a leaf) with the current record, to untrack if that is on no cycle.
    fn own(&mut self, object: Bound<'py, PyAny>) -> Bound<'py, PyAny> {
        if let Some(current) = self.current {
            self.records[current].owned.push(object.clone());
        }
        object
    }

    /// Untrack every record on no cycle and what it owns (Tarjan's strongly connected
    /// components over the records' reach, iterative: a deep schema must not overflow the stack).
    fn untrack_acyclic(&mut self) {
        let n = self.records.len();
        let mut index = vec![usize::MAX; n];
        let mut low = vec![0usize; n];
        let mut on_stack = vec![false; n];
        let mut stack: Vec<usize> = Vec::new();
        let mut cyclic = vec![false; n];
        let mut next = 0;
        for root in 0..n {
            if index[root] != usize::MAX {
                continue;
            }
            let mut work: Vec<(usize, usize)> = vec![(root, 0)];
            index[root] = next;
            low[root] = next;
            next += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut edge)) = work.last_mut() {
                if let Some(&w) = self.records[v].reaches.get(*edge) {
                    *edge += 1;
                    if w == v {
                        cyclic[v] = true;
                    }
                    if index[w] == usize::MAX {
                        index[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        work.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut component = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        component.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        for w in component {
                            cyclic[w] = true;
                        }
                    }
                }
            }
        }
        for (record, cyclic) in std::mem::take(&mut self.records).into_iter().zip(cyclic) {
            if !cyclic {
                for object in record.owned {
                    self.leaf(object);
                }
                self.leaf(record.node);
            }
        }
    }

    /// `pointer` is built only for an error.
    fn check_name(&self, name: &str, pointer: impl FnOnce() -> String, what: &str) -> PyResult<()> {
        if !self.strict || is_name(name) {
            return Ok(());
        }
        let pointer = &pointer();
        let Some(first) = name.chars().next() else {
            return Err(self.fail(format!("Empty {what}"), pointer, None));
        };
        if !(first.is_ascii_alphabetic() || first == '_') {
            return Err(self.fail(
                format!("Illegal initial character: {name}"),
                pointer,
                Some("Avro names start with a letter or '_'"),
            ));
        }
        Err(self.fail(
            format!("Illegal character in: {name}"),
            pointer,
            Some("Avro names contain only letters, digits and '_'"),
        ))
    }

    /// A type name resolved as Avro Java does: in the current namespace first, then as written;
    /// the node and whether it is a leaf.
    fn lookup(&mut self, name: &str, space: Option<&str>) -> PyResult<Option<(Node<'py>, bool)>> {
        if let Some(space) = space.filter(|_| !name.contains('.')) {
            let full = format!("{space}.{name}");
            if let Some(found) = self.types.get_item(&full)? {
                return Ok(Some(self.named_leaf(found, &full)));
            }
        }
        Ok(self.types.get_item(name)?.map(|found| self.named_leaf(found, name)))
    }

    /// The node of a schema value, and whether it is a leaf (see `untrack`).
    fn parse(&mut self, value: &'j J<'j>, pointer: &str, space: Option<&str>) -> PyResult<(Node<'py>, bool)> {
        match value {
            J::Str(name) => {
                if is_primitive(name) {
                    return Ok((self.leaf(self.node(name, pointer)?), true));
                }
                match self.lookup(name, space)? {
                    Some(found) => Ok(found),
                    None => Err(self.fail(
                        format!("Undefined name: {}", dumps(self.py, value)?),
                        pointer,
                        Some("define the named type before use, or pass the schema defining it as a reference"),
                    )),
                }
            }
            J::Arr(items) => self.parse_union(items, pointer, space),
            J::Obj(_) => self.parse_object(value, pointer, space),
            _ => Err(self.fail(
                format!("Schema must be a string, object or array, not {}", dumps(self.py, value)?),
                pointer,
                None,
            )),
        }
    }

    fn parse_union(&mut self, items: &'j [J<'j>], pointer: &str, space: Option<&str>) -> PyResult<(Node<'py>, bool)> {
        let py = self.py;
        let node = self.node("union", pointer)?;
        let branches = PyList::empty(py);
        let mut seen: HashSet<String> = HashSet::with_capacity(items.len());
        let mut leaf = true;
        for (index, item) in items.iter().enumerate() {
            let item_ptr = format!("{pointer}/{index}");
            let (branch, branch_leaf) = self.parse(item, &item_ptr, space)?;
            leaf &= branch_leaf;
            let primitive = match item {
                J::Str(name) => Some(name.as_ref()),
                J::Obj(_) => item.get("type").and_then(J::as_str),
                _ => None,
            };
            let key: String = match primitive.filter(|k| is_primitive(k)) {
                Some(kind) => kind.to_string(), // most branches: no need to ask the node
                None => {
                    let kind = branch.getattr(intern!(py, "type"))?;
                    if kind.eq(type_name(py, "union"))? {
                        return Err(self.fail("Nested union: a union may not directly contain a union", &item_ptr, None));
                    }
                    let full = branch.getattr(intern!(py, "fullname"))?;
                    if full.is_none() { kind.extract()? } else { full.extract()? }
                }
            };
            if seen.contains(&key) {
                return Err(self.fail(
                    format!("Duplicate in union: {key}"),
                    &item_ptr,
                    Some("each type (or named type) may appear once in a union"),
                ));
            }
            seen.insert(key);
            branches.append(branch)?;
        }
        node.setattr(intern!(py, "branches"), &branches)?;
        if leaf {
            self.leaf(branches);
            return Ok((self.leaf(node), true));
        }
        self.own(branches.into_any());
        Ok((self.own(node), false))
    }

    fn parse_object(&mut self, obj: &'j J<'j>, pointer: &str, space: Option<&str>) -> PyResult<(Node<'py>, bool)> {
        let py = self.py;
        let Some(kind) = obj.get("type") else {
            return Err(self.fail("No type", pointer, Some("every schema object needs a \"type\"")));
        };
        let type_ptr = || format!("{pointer}/type");
        let Some(kind) = kind.as_str() else {
            return Err(self.fail(format!("No type: \"type\" must be a string, not {}", dumps(py, kind)?), &type_ptr(), None));
        };
        if is_primitive(kind) {
            let node = self.node(kind, pointer)?;
            self.props(&node, obj, &[])?;
            return Ok((self.leaf(node), true));
        }
        match kind {
            "record" | "error" | "enum" | "fixed" => return self.parse_named(kind, obj, pointer, space),
            "array" | "map" => {
                let (member, attr, missing, hint) = if kind == "array" {
                    ("items", intern!(py, "items"), "Array has no items type", "add \"items\"")
                } else {
                    ("values", intern!(py, "values"), "Map has no values type", "add \"values\"")
                };
                let Some(inner) = obj.get(member) else {
                    return Err(self.fail(missing, pointer, Some(hint)));
                };
                let node = self.node(kind, pointer)?;
                let (inner, leaf) = self.parse(inner, &format!("{pointer}/{member}"), space)?;
                node.setattr(attr, inner)?;
                self.props(&node, obj, &[])?;
                return Ok((if leaf { self.leaf(node) } else { self.own(node) }, leaf));
            }
            _ => {}
        }
        match self.lookup(kind, space)? {
            Some(found) => Ok(found),
            None => Err(self.fail(
                format!("Type not supported: {kind}"),
                &type_ptr(),
                Some("use a primitive, record, enum, fixed, array, map or a defined name"),
            )),
        }
    }

    /// The (short name, namespace) of a named type's definition.
    fn full_name(&self, obj: &J, pointer: &str, space: Option<&str>) -> PyResult<(String, Option<String>)> {
        let name = match present(obj, "name") {
            Some(J::Str(name)) => name.to_string(),
            other => {
                let (reason, at) = match other {
                    None => ("No name in schema", pointer.to_string()),
                    Some(_) => ("name must be a string", format!("{pointer}/name")),
                };
                return Err(self.fail(reason, &at, Some("give the named type a \"name\"")));
            }
        };
        let mut space: Option<String> = space.map(str::to_string);
        match present(obj, "namespace") {
            None => {} // JSON null inherits, as in Java; "" means the null namespace
            Some(J::Str(ns)) => space = Some(ns.to_string()).filter(|s| !s.is_empty()),
            Some(_) => return Err(self.fail("namespace must be a string", &format!("{pointer}/namespace"), None)),
        }
        let mut name = name;
        if let Some((ns, short)) = name.rsplit_once('.') {
            space = Some(ns.to_string()).filter(|s| !s.is_empty());
            name = short.to_string();
        }
        self.check_name(&name, || format!("{pointer}/name"), "name")?;
        if let Some(space) = &space {
            let at = join_pointer(pointer, if has(obj, "namespace") { "namespace" } else { "name" });
            for part in space.split('.') {
                self.check_name(part, || at.clone(), "namespace")?;
            }
        }
        Ok((name, space))
    }

    /// Register a named type; Avro forbids redefinition and primitive names.
    fn define(&self, node: &Node<'py>, full: &str, pointer: &str) -> PyResult<()> {
        let at = format!("{pointer}/name");
        if is_primitive(full) {
            return Err(self.fail(format!("Schemas may not be named after primitives: {full}"), &at, None));
        }
        if self.types.contains(full)? {
            return Err(self.fail(
                format!("Can't redefine: {full}"),
                &at,
                Some("define each named type once and refer to it by name afterwards"),
            ));
        }
        self.types.set_item(full, node)
    }

    fn parse_named(&mut self, kind: &str, obj: &'j J<'j>, pointer: &str, space: Option<&str>) -> PyResult<(Node<'py>, bool)> {
        let py = self.py;
        let (name, ns) = self.full_name(obj, pointer, space)?;
        let node = self.node(if kind == "error" { "record" } else { kind }, pointer)?;
        if kind == "error" {
            node.setattr(intern!(py, "is_error"), true)?;
        }
        let full = match &ns {
            Some(ns) => format!("{ns}.{name}"),
            None => name.clone(),
        };
        node.setattr(intern!(py, "name"), &name)?;
        node.setattr(intern!(py, "namespace"), ns.as_deref())?;
        node.setattr(intern!(py, "fullname"), &full)?;
        if let Some(J::Str(doc)) = obj.get("doc") {
            node.setattr(intern!(py, "doc"), doc.as_ref())?;
        }
        let aliases = self.type_aliases(obj, pointer, ns.as_deref())?;
        if !aliases.is_empty() {
            node.setattr(intern!(py, "aliases"), PyTuple::new(py, aliases)?)?;
        }
        match kind {
            "enum" => {
                self.parse_enum(&node, obj, pointer)?;
                self.define(&node, &full, pointer)?;
                self.props(&node, obj, &["default"])?;
            }
            "fixed" => {
                let size = obj.get("size");
                let valid = size.and_then(integer_text).and_then(|t| t.parse::<i32>().ok());
                let Some(size) = valid else {
                    let at = if size.is_some() { format!("{pointer}/size") } else { pointer.to_string() };
                    return Err(self.fail("Invalid or no size", &at, Some("give the fixed type an integer \"size\"")));
                };
                if size < 0 {
                    return Err(self.fail(format!("Invalid fixed size: {size}"), &format!("{pointer}/size"), None));
                }
                node.setattr(intern!(py, "size"), size)?;
                self.define(&node, &full, pointer)?;
                self.props(&node, obj, &[])?;
            }
            _ => {
                self.define(&node, &full, pointer)?; // before the fields: a record may refer to itself
                self.props(&node, obj, &[])?;
                let index = self.records.len();
                self.reach(index);
                self.records.push(Record { node: node.clone(), owned: Vec::new(), reaches: Vec::new() });
                self.record_index.insert(full.clone(), index);
                let outer = self.current.replace(index);
                let parsed = self.parse_fields(&node, &full, obj, pointer, ns.as_deref());
                self.current = outer;
                parsed?;
                return Ok((node, false));
            }
        }
        Ok((self.leaf(node), true))
    }

    fn type_aliases(&self, obj: &J, pointer: &str, ns: Option<&str>) -> PyResult<Vec<String>> {
        let Some(raw) = present(obj, "aliases") else { return Ok(Vec::new()) };
        let Some(aliases) = strings(raw) else {
            return Err(self.fail("aliases must be an array of strings", &format!("{pointer}/aliases"), None));
        };
        let mut out: Vec<String> = Vec::new();
        for alias in aliases {
            // Schema.addAlias: a dotless alias takes the type's own namespace
            let full = match ns {
                Some(ns) if !alias.contains('.') => format!("{ns}.{alias}"),
                _ => alias.to_string(),
            };
            if !out.contains(&full) {
                out.push(full);
            }
        }
        Ok(out)
    }

    fn parse_enum(&self, node: &Node<'py>, obj: &J, pointer: &str) -> PyResult<()> {
        let py = self.py;
        let sym_ptr = format!("{pointer}/symbols");
        let Some(symbols) = obj.get("symbols").and_then(strings) else {
            let at = if has(obj, "symbols") { &sym_ptr } else { pointer };
            return Err(self.fail(
                "Enum symbols must be an array of strings",
                at,
                Some("give the enum a \"symbols\" array"),
            ));
        };
        let mut seen: HashSet<&str> = HashSet::with_capacity(symbols.len());
        for (index, symbol) in symbols.iter().enumerate() {
            let at = || format!("{sym_ptr}/{index}");
            self.check_name(symbol, at, "symbol")?;
            if !seen.insert(symbol) {
                return Err(self.fail(format!("Duplicate enum symbol: {symbol}"), &at(), None));
            }
        }
        node.setattr(intern!(py, "symbols"), self.leaf(PyList::new(py, symbols.iter().copied())?))?;
        node.setattr(intern!(py, "symbol_set"), self.leaf(PyFrozenSet::new(py, symbols.iter().copied())?))?;
        if let Some(default) = obj.get("default") {
            let at = format!("{pointer}/default");
            let Some(default) = default.as_str() else {
                return Err(self.fail("Enum default must be a string", &at, None));
            };
            if !seen.contains(default) {
                return Err(self.fail(
                    format!(
                        "The Enum Default: {default} is not in the enum symbol set: [{}]",
                        symbols.join(", ")
                    ),
                    &at,
                    Some("the enum default must be one of its symbols"),
                ));
            }
            node.setattr(intern!(py, "enum_default"), default)?;
        }
        Ok(())
    }

    fn parse_fields(&mut self, node: &Node<'py>, full: &str, obj: &'j J<'j>, pointer: &str, ns: Option<&str>) -> PyResult<()> {
        let py = self.py;
        let fields_ptr = format!("{pointer}/fields");
        let list = PyList::empty(py);
        let map = PyDict::new(py);
        node.setattr(intern!(py, "fields"), &list)?;
        node.setattr(intern!(py, "field_map"), &map)?;
        self.own(list.clone().into_any());
        self.own(map.clone().into_any());
        let Some(J::Arr(fields)) = obj.get("fields") else {
            let at = if has(obj, "fields") { &fields_ptr } else { pointer };
            return Err(self.fail("Record has no fields", at, Some("give the record a \"fields\" array")));
        };
        let parent = PyString::new(py, &fields_ptr); // every field's pointer is parent/pos
        let mut aliases: Vec<String> = Vec::new();
        let mut f_ptr = String::with_capacity(fields_ptr.len() + 8);
        for (index, raw) in fields.iter().enumerate() {
            f_ptr.clear();
            let _ = write!(f_ptr, "{fields_ptr}/{index}");
            let J::Obj(members) = raw else {
                return Err(self.fail("A field must be an object", &f_ptr, None));
            };
            let Some(name) = raw.get("name").and_then(J::as_str) else {
                return Err(self.fail("No field name", &f_ptr, Some("give the field a \"name\"")));
            };
            self.check_name(name, || format!("{f_ptr}/name"), "field name")?;
            let Some(ftype) = raw.get("type") else {
                return Err(self.fail(format!("No field type for field {name}"), &f_ptr, Some("give the field a \"type\"")));
            };
            let (type_ref, leaf): (Bound<'py, PyAny>, bool) = match ftype {
                // most fields: the primitive's name, its node built on first use (Field.type)
                J::Str(t) if is_primitive(t) => (type_name(py, t).clone().into_any(), true),
                _ => self.parse(ftype, &format!("{f_ptr}/type"), ns)?,
            };
            let py_name = PyString::new(py, name);
            if map.contains(&py_name)? {
                return Err(self.fail(format!("Duplicate field {name} in record {full}"), &format!("{f_ptr}/name"), None));
            }
            let field = self.instance(&self.field_cls)?;
            field.setattr(intern!(py, "name"), &py_name)?;
            field.setattr(intern!(py, "type_ref"), &type_ref)?;
            field.setattr(intern!(py, "pos"), index)?;
            field.setattr(intern!(py, "parent"), &parent)?;
            field.setattr(intern!(py, "origin"), &self.origin)?;
            if members.len() > 2 {
                // more than name and type: the optional attributes
                aliases.extend(self.field_options(&field, &type_ref, raw, &f_ptr)?);
            }
            list.append(&field)?;
            map.set_item(&py_name, &field)?;
            if leaf {
                self.leaf(field);
            } else {
                self.own(field);
            }
        }
        for alias in aliases {
            if map.contains(alias)? {
                self.ambiguous = true;
            }
        }
        Ok(())
    }

    /// A field's doc, order, aliases, default and other properties; returns its aliases.
    fn field_options(&mut self, field: &Bound<'py, PyAny>, type_ref: &Bound<'py, PyAny>, raw: &'j J<'j>, f_ptr: &str) -> PyResult<Vec<String>> {
        let py = self.py;
        if let Some(J::Str(doc)) = raw.get("doc") {
            field.setattr(intern!(py, "doc"), doc.as_ref())?;
        }
        if let Some(order) = raw.get("order") {
            match order.as_str() {
                Some("ascending") => {}
                Some(o @ ("descending" | "ignore")) => field.setattr(intern!(py, "order"), o)?,
                _ => {
                    let shown = py_str(py, order)?;
                    return Err(self.fail(format!("Invalid field order: {shown}"), &format!("{f_ptr}/order"), None));
                }
            }
        }
        let mut aliases: Vec<String> = Vec::new();
        if let Some(raw_aliases) = present(raw, "aliases") {
            let Some(list) = strings(raw_aliases) else {
                return Err(self.fail("field aliases must be an array of strings", &format!("{f_ptr}/aliases"), None));
            };
            for alias in list {
                if !aliases.iter().any(|a| a == alias) {
                    aliases.push(alias.to_string());
                }
            }
            field.setattr(intern!(py, "aliases"), self.leaf(PyList::new(py, &aliases)?))?;
        }
        let J::Obj(members) = raw else { unreachable!("a field is an object") };
        if members.iter().any(|(k, _)| !FIELD_RESERVED.contains(&k.as_ref())) {
            let props = PyDict::new(py);
            for (k, v) in members.iter().filter(|(k, _)| !FIELD_RESERVED.contains(&k.as_ref())) {
                props.set_item(k.as_ref(), to_py(py, v)?)?;
            }
            field.setattr(intern!(py, "props"), props)?;
        }
        if let Some(default) = raw.get("default") {
            field.setattr(intern!(py, "has_default"), true)?;
            field.setattr(intern!(py, "default"), to_py(py, default)?)?;
            if self.strict {
                self.deferred.push(Deferred {
                    field: field.clone(),
                    type_ref: type_ref.clone(),
                    default,
                    pointer: format!("{f_ptr}/default"),
                });
            }
        }
        Ok(aliases)
    }

    /// A schema's other properties (`logicalType` among them), when it has any.
    fn props(&self, node: &Node<'py>, obj: &J, also_reserved: &[&str]) -> PyResult<()> {
        let py = self.py;
        let J::Obj(members) = obj else { return Ok(()) };
        let extra = |k: &str| !SCHEMA_RESERVED.contains(&k) && !also_reserved.contains(&k);
        if !members.iter().any(|(k, _)| extra(k)) {
            return Ok(());
        }
        let props = PyDict::new(py);
        for (k, v) in members.iter().filter(|(k, _)| extra(k)) {
            props.set_item(k.as_ref(), to_py(py, v)?)?;
        }
        node.setattr(intern!(py, "props"), props)?;
        if let Some(J::Str(logical)) = obj.get("logicalType") {
            node.setattr(intern!(py, "logical_type"), logical.as_ref())?;
        }
        Ok(())
    }

    /// Avro Java 1.12 `Schema.isValidDefault`: unions accept a value valid for any branch.
    /// `type_ref` is a node or the name of a primitive type (a field's `type_ref`).
    fn valid_default(&self, type_ref: &Bound<'py, PyAny>, value: &J) -> PyResult<bool> {
        let py = self.py;
        let kind: String = match type_ref.cast::<PyString>() {
            Ok(name) => name.extract()?,
            Err(_) => type_ref.getattr(intern!(py, "type"))?.extract()?,
        };
        let kind = kind.as_str();
        let integer = |bits: u32| {
            integer_text(value).is_some_and(|t| match bits {
                32 => t.parse::<i32>().is_ok(),
                _ => t.parse::<i64>().is_ok(),
            })
        };
        Ok(match kind {
            "string" | "bytes" | "enum" | "fixed" => matches!(value, J::Str(_)),
            "int" => integer(32),
            "long" => integer(64),
            "float" | "double" => matches!(value, J::Num(_)),
            "boolean" => matches!(value, J::Bool(_)),
            "null" => value.is_null(),
            "array" => match value {
                J::Arr(items) => {
                    let inner = type_ref.getattr(intern!(py, "items"))?;
                    for item in items {
                        if !self.valid_default(&inner, item)? {
                            return Ok(false);
                        }
                    }
                    true
                }
                _ => false,
            },
            "map" => match value {
                J::Obj(pairs) => {
                    let inner = type_ref.getattr(intern!(py, "values"))?;
                    for (_, item) in pairs {
                        if !self.valid_default(&inner, item)? {
                            return Ok(false);
                        }
                    }
                    true
                }
                _ => false,
            },
            "union" => {
                for branch in type_ref.getattr(intern!(py, "branches"))?.try_iter()? {
                    if self.valid_default(&branch?, value)? {
                        return Ok(true);
                    }
                }
                false
            }
            "record" => match value {
                J::Obj(_) => {
                    for field in type_ref.getattr(intern!(py, "fields"))?.try_iter()? {
                        let field = field?;
                        let name: String = field.getattr(intern!(py, "name"))?.extract()?;
                        match value.get(&name) {
                            Some(item) => {
                                if !self.valid_default(&field.getattr(intern!(py, "type_ref"))?, item)? {
                                    return Ok(false);
                                }
                            }
                            None => {
                                if !field.getattr(intern!(py, "has_default"))?.is_truthy()? {
                                    return Ok(false);
                                }
                            }
                        }
                    }
                    true
                }
                _ => false,
            },
            _ => false,
        })
    }
}

/// Parse one schema document. `types` maps full names to nodes (those of the references, in
/// order); the document's own named types are added to it. `origin` becomes every new node's
/// and field's `origin`. Returns the root node and whether some record has a field alias naming
/// one of its own fields.
#[pyfunction]
pub fn parse_avro<'py>(
    py: Python<'py>,
    text: &str,
    strict: bool,
    types: Bound<'py, PyDict>,
    origin: Bound<'py, PyAny>,
    node_cls: Bound<'py, PyType>,
    field_cls: Bound<'py, PyType>,
) -> PyResult<(Bound<'py, PyAny>, bool)> {
    let value = decode(text)?;
    let empty = PyTuple::empty(py);
    let mut parser = Parser {
        py,
        strict,
        types,
        origin,
        node_cls,
        field_cls,
        empty,
        deferred: Vec::new(),
        ambiguous: false,
        records: Vec::new(),
        record_index: HashMap::new(),
        current: None,
    };
    let (root, _) = parser.parse(&value, "", None)?;
    for check in std::mem::take(&mut parser.deferred) {
        if !parser.valid_default(&check.type_ref, check.default)? {
            return Err(InvalidDefault::new_err((check.field.unbind(), check.pointer)));
        }
    }
    parser.untrack_acyclic();
    Ok((root, parser.ambiguous))
}
