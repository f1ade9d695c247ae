-- Reference data: GB/T 2260 regions, countries by MCC, Chinese operators' MNCs. Filled from
-- data/*.csv by `itinerad-db migrate` (replaced as a whole when the files change); the place
-- names the subscriber reads come from the same files, compiled into the engine.
CREATE TABLE region (
	code integer PRIMARY KEY,
	name_zh text NOT NULL,
	name_en text NOT NULL,
	level text NOT NULL CHECK (level IN ('province', 'city', 'county')),
	parent_code integer
);

CREATE TABLE country (
	mcc smallint PRIMARY KEY,
	iso2 text NOT NULL,
	name_en text NOT NULL,
	name_zh text NOT NULL
);

CREATE TABLE operator_cn (
	mcc smallint NOT NULL,
	mnc text NOT NULL,
	iso2 text NOT NULL,
	brand text,			-- empty in the source for some networks
	operator text,
	operator_zh text,
	status text NOT NULL,
	in_mbpi text NOT NULL,
	PRIMARY KEY (mcc, mnc)
);
