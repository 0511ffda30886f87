DROP TABLE flags;
