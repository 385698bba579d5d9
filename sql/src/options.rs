//! What a connection lets the engine send to HubDB. Every part can be switched off, in case
//! the live service disagrees with the reference (§15 lists what is unconfirmed); switching
//! one off never changes a result, only how much HubDB does.

use hubdb::FilterOp;

/// The filter operators the engine may send (reference §8.5), in the order of `bit`.
const OPERATORS: [FilterOp; 10] = [
    FilterOp::Eq,
    FilterOp::Ne,
    FilterOp::Lt,
    FilterOp::Lte,
    FilterOp::Gt,
    FilterOp::Gte,
    FilterOp::In,
    FilterOp::IsNull,
    FilterOp::NotNull,
    FilterOp::IContains,
];

/// A set of filter operators.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OperatorSet(u16);

impl OperatorSet {
    fn bit(op: FilterOp) -> u16 {
        OPERATORS
            .iter()
            .position(|o| *o == op)
            .map_or(1 << 15, |i| 1 << i)
    }

    pub fn insert(&mut self, op: FilterOp) {
        self.0 |= Self::bit(op);
    }

    pub fn contains(&self, op: FilterOp) -> bool {
        self.0 & Self::bit(op) != 0
    }
}

/// Which parts of a query may be sent to HubDB; all on by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PushdownOptions {
    /// WHERE predicates as row-query filters (§8.4).
    pub filters: bool,
    /// ORDER BY as `sort` (§8.2).
    pub sort: bool,
    /// LIMIT as `limit`, and no page requested beyond it (§8.1).
    pub limit: bool,
    /// OFFSET as `offset` (§8.1).
    pub offset: bool,
    /// The columns a query reads as `properties` (§8.3).
    pub projection: bool,
    /// `SELECT COUNT(*)` with exact filters answered from `total` of a one-row request.
    pub count: bool,
    /// `WHERE Id = n` as a single-row read (§7 R3/R4).
    pub row_lookup: bool,
    /// Operators never sent; predicates needing them run in the engine.
    pub disabled_operators: OperatorSet,
}

impl Default for PushdownOptions {
    fn default() -> Self {
        PushdownOptions {
            filters: true,
            sort: true,
            limit: true,
            offset: true,
            projection: true,
            count: true,
            row_lookup: true,
            disabled_operators: OperatorSet::default(),
        }
    }
}

/// The names `DisablePushdown` takes, with what each switches off.
pub const SWITCH_NAMES: &[&str] = &[
    "ALL",
    "FILTERS",
    "SORT",
    "LIMIT",
    "OFFSET",
    "PROJECTION",
    "COUNT",
    "IDLOOKUP",
    "EQ",
    "NE",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "IN",
    "NULL",
    "IS_NULL",
    "NOT_NULL",
    "LIKE",
    "ICONTAINS",
];

impl PushdownOptions {
    /// Nothing is sent but the row listing itself.
    pub fn nothing() -> PushdownOptions {
        PushdownOptions {
            filters: false,
            sort: false,
            limit: false,
            offset: false,
            projection: false,
            count: false,
            row_lookup: false,
            disabled_operators: OperatorSet::default(),
        }
    }

    /// Whether every filter of a predicate may be sent.
    pub fn allows(&self, op: FilterOp) -> bool {
        self.filters && !self.disabled_operators.contains(op)
    }

    /// Switches off what a comma-separated list names (see [`SWITCH_NAMES`]; any case, spaces
    /// ignored). Returns the names it does not know.
    pub fn disable_list(&mut self, list: &str) -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .filter(|name| !self.disable(name))
            .map(str::to_string)
            .collect()
    }

    /// Switches off one part by name; false when the name is not known.
    pub fn disable(&mut self, name: &str) -> bool {
        let name = name.to_ascii_uppercase();
        let operators: &[FilterOp] = match name.as_str() {
            "ALL" => {
                *self = PushdownOptions::nothing();
                return true;
            }
            "FILTERS" => {
                self.filters = false;
                return true;
            }
            "SORT" => return set_false(&mut self.sort),
            "LIMIT" => return set_false(&mut self.limit),
            "OFFSET" => return set_false(&mut self.offset),
            "PROJECTION" => return set_false(&mut self.projection),
            "COUNT" => return set_false(&mut self.count),
            "IDLOOKUP" => return set_false(&mut self.row_lookup),
            "NULL" => &[FilterOp::IsNull, FilterOp::NotNull],
            "LIKE" => &[FilterOp::IContains],
            other => match OPERATORS
                .iter()
                .find(|op| op.suffix().eq_ignore_ascii_case(other))
            {
                Some(op) => std::slice::from_ref(op),
                None => return false,
            },
        };
        for op in operators {
            self.disabled_operators.insert(*op);
        }
        true
    }
}

fn set_false(flag: &mut bool) -> bool {
    *flag = false;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_name_is_known() {
        for name in SWITCH_NAMES {
            assert!(PushdownOptions::default().disable(name), "{name}");
        }
    }

    #[test]
    fn a_list_switches_off_operators_and_parts_and_reports_unknown_names() {
        let mut options = PushdownOptions::default();
        let unknown = options.disable_list(" like, In ,sort,count,bogus,,IdLookup");
        assert_eq!(unknown, ["bogus"]);
        assert!(!options.allows(FilterOp::IContains));
        assert!(!options.allows(FilterOp::In));
        assert!(options.allows(FilterOp::Eq));
        assert!(!options.sort && !options.count && !options.row_lookup);
        assert!(options.limit && options.offset && options.projection && options.filters);
    }

    #[test]
    fn null_switches_off_both_null_tests_and_all_switches_off_everything() {
        let mut options = PushdownOptions::default();
        options.disable_list("NULL");
        assert!(!options.allows(FilterOp::IsNull) && !options.allows(FilterOp::NotNull));
        options.disable_list("all");
        assert_eq!(options, PushdownOptions::nothing());
    }
}
