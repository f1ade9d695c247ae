-- The operator's cell registry (SPEC section 7: cells feed) and risk list (SPEC section 4).
-- A cell maps to a prefecture-level city; an unknown cell is counted by the loader, never guessed.
CREATE TABLE cell (
	mcc smallint NOT NULL,
	mnc smallint NOT NULL,
	lac integer NOT NULL,
	ci integer NOT NULL,
	region_code integer NOT NULL REFERENCES region (code),
	PRIMARY KEY (mcc, mnc, lac, ci)
);

CREATE TABLE risk_area (
	region_code integer NOT NULL REFERENCES region (code),
	level text NOT NULL,
	valid_from date NOT NULL,
	valid_to date NOT NULL CHECK (valid_to >= valid_from),
	PRIMARY KEY (region_code, valid_from)
);
