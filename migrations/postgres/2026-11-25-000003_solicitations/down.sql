DROP TABLE solicitations;
