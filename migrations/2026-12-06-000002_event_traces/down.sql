DROP TABLE event_traces;
