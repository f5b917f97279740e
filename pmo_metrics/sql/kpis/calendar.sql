-- Which months the data covers (marts.calendar, built at load): the default as-of month and the
-- month pickers read it.

select * from marts.calendar
