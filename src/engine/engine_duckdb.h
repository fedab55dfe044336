/* engine_duckdb.h - private to the engine's files (engine*.c, through engine_internal.h): the
 * DuckDB C API functions they call, resolved at run time from libduckdb.so (dlopen, engine_load.c)
 * the first time an engine is opened, so the commands that never touch SQL or Parquet (ingest,
 * process, broker) do not map and relocate the library (about 10 MB of resident memory). Add a
 * function to both lists when an engine file starts calling it: a name missing from the first
 * fails to compile, one missing from the second fails to link (the binary does not link
 * libduckdb). */
#ifndef TICKLAKE_ENGINE_DUCKDB_H
#define TICKLAKE_ENGINE_DUCKDB_H

/* clang-format off */
#define ENGINE_DUCKDB_FUNCS(X) \
    X(duckdb_array_type_array_size) \
    X(duckdb_array_type_child_type) \
    X(duckdb_array_vector_get_child) \
    X(duckdb_bind_add_result_column) \
    X(duckdb_bind_get_extra_info) \
    X(duckdb_bind_set_error) \
    X(duckdb_close) \
    X(duckdb_column_count) \
    X(duckdb_column_logical_type) \
    X(duckdb_column_name) \
    X(duckdb_connect) \
    X(duckdb_create_config) \
    X(duckdb_create_logical_type) \
    X(duckdb_create_table_function) \
    X(duckdb_data_chunk_get_column_count) \
    X(duckdb_data_chunk_get_size) \
    X(duckdb_data_chunk_get_vector) \
    X(duckdb_data_chunk_set_size) \
    X(duckdb_data_chunk_to_arrow) \
    X(duckdb_decimal_internal_type) \
    X(duckdb_decimal_scale) \
    X(duckdb_destroy_arrow_options) \
    X(duckdb_destroy_config) \
    X(duckdb_destroy_data_chunk) \
    X(duckdb_destroy_error_data) \
    X(duckdb_destroy_extracted) \
    X(duckdb_destroy_logical_type) \
    X(duckdb_destroy_pending) \
    X(duckdb_destroy_prepare) \
    X(duckdb_destroy_result) \
    X(duckdb_destroy_table_function) \
    X(duckdb_disconnect) \
    X(duckdb_enum_dictionary_value) \
    X(duckdb_enum_internal_type) \
    X(duckdb_error_data_has_error) \
    X(duckdb_error_data_message) \
    X(duckdb_execute_pending) \
    X(duckdb_execute_prepared) \
    X(duckdb_extract_statements) \
    X(duckdb_extract_statements_error) \
    X(duckdb_fetch_chunk) \
    X(duckdb_free) \
    X(duckdb_from_time_tz) \
    X(duckdb_function_get_extra_info) \
    X(duckdb_function_get_init_data) \
    X(duckdb_get_type_id) \
    X(duckdb_init_set_error) \
    X(duckdb_init_set_init_data) \
    X(duckdb_init_set_max_threads) \
    X(duckdb_interrupt) \
    X(duckdb_list_type_child_type) \
    X(duckdb_list_vector_get_child) \
    X(duckdb_malloc) \
    X(duckdb_map_type_key_type) \
    X(duckdb_map_type_value_type) \
    X(duckdb_open_ext) \
    X(duckdb_pending_error) \
    X(duckdb_pending_prepared_streaming) \
    X(duckdb_prepare_error) \
    X(duckdb_prepare_extracted_statement) \
    X(duckdb_prepared_statement_type) \
    X(duckdb_query) \
    X(duckdb_register_table_function) \
    X(duckdb_result_error) \
    X(duckdb_result_get_arrow_options) \
    X(duckdb_result_return_type) \
    X(duckdb_set_config) \
    X(duckdb_string_t_data) \
    X(duckdb_string_t_length) \
    X(duckdb_struct_type_child_count) \
    X(duckdb_struct_type_child_name) \
    X(duckdb_struct_type_child_type) \
    X(duckdb_struct_vector_get_child) \
    X(duckdb_table_function_set_bind) \
    X(duckdb_table_function_set_extra_info) \
    X(duckdb_table_function_set_function) \
    X(duckdb_table_function_set_init) \
    X(duckdb_table_function_set_name) \
    X(duckdb_to_arrow_schema) \
    X(duckdb_union_type_member_type) \
    X(duckdb_unsafe_vector_assign_string_element_len) \
    X(duckdb_validity_row_is_valid) \
    X(duckdb_validity_set_row_invalid) \
    X(duckdb_vector_ensure_validity_writable) \
    X(duckdb_vector_get_data) \
    X(duckdb_vector_get_validity) \
    X(duckdb_vector_size)

/* The pointers, defined in engine_load.c (which defines ENGINE_DUCKDB_DEFINE) and set there when
 * the library is loaded. */
#ifdef ENGINE_DUCKDB_DEFINE
#define X(f) __typeof__(&f) p_##f;
#else
#define X(f) extern __typeof__(&f) p_##f;
#endif
ENGINE_DUCKDB_FUNCS(X)
#undef X

#define duckdb_array_type_array_size (*p_duckdb_array_type_array_size)
#define duckdb_array_type_child_type (*p_duckdb_array_type_child_type)
#define duckdb_array_vector_get_child (*p_duckdb_array_vector_get_child)
#define duckdb_bind_add_result_column (*p_duckdb_bind_add_result_column)
#define duckdb_bind_get_extra_info (*p_duckdb_bind_get_extra_info)
#define duckdb_bind_set_error (*p_duckdb_bind_set_error)
#define duckdb_close (*p_duckdb_close)
#define duckdb_column_count (*p_duckdb_column_count)
#define duckdb_column_logical_type (*p_duckdb_column_logical_type)
#define duckdb_column_name (*p_duckdb_column_name)
#define duckdb_connect (*p_duckdb_connect)
#define duckdb_create_config (*p_duckdb_create_config)
#define duckdb_create_logical_type (*p_duckdb_create_logical_type)
#define duckdb_create_table_function (*p_duckdb_create_table_function)
#define duckdb_data_chunk_get_column_count (*p_duckdb_data_chunk_get_column_count)
#define duckdb_data_chunk_get_size (*p_duckdb_data_chunk_get_size)
#define duckdb_data_chunk_get_vector (*p_duckdb_data_chunk_get_vector)
#define duckdb_data_chunk_set_size (*p_duckdb_data_chunk_set_size)
#define duckdb_data_chunk_to_arrow (*p_duckdb_data_chunk_to_arrow)
#define duckdb_decimal_internal_type (*p_duckdb_decimal_internal_type)
#define duckdb_decimal_scale (*p_duckdb_decimal_scale)
#define duckdb_destroy_arrow_options (*p_duckdb_destroy_arrow_options)
#define duckdb_destroy_config (*p_duckdb_destroy_config)
#define duckdb_destroy_data_chunk (*p_duckdb_destroy_data_chunk)
#define duckdb_destroy_error_data (*p_duckdb_destroy_error_data)
#define duckdb_destroy_extracted (*p_duckdb_destroy_extracted)
#define duckdb_destroy_logical_type (*p_duckdb_destroy_logical_type)
#define duckdb_destroy_pending (*p_duckdb_destroy_pending)
#define duckdb_destroy_prepare (*p_duckdb_destroy_prepare)
#define duckdb_destroy_result (*p_duckdb_destroy_result)
#define duckdb_destroy_table_function (*p_duckdb_destroy_table_function)
#define duckdb_disconnect (*p_duckdb_disconnect)
#define duckdb_enum_dictionary_value (*p_duckdb_enum_dictionary_value)
#define duckdb_enum_internal_type (*p_duckdb_enum_internal_type)
#define duckdb_error_data_has_error (*p_duckdb_error_data_has_error)
#define duckdb_error_data_message (*p_duckdb_error_data_message)
#define duckdb_execute_pending (*p_duckdb_execute_pending)
#define duckdb_execute_prepared (*p_duckdb_execute_prepared)
#define duckdb_extract_statements (*p_duckdb_extract_statements)
#define duckdb_extract_statements_error (*p_duckdb_extract_statements_error)
#define duckdb_fetch_chunk (*p_duckdb_fetch_chunk)
#define duckdb_free (*p_duckdb_free)
#define duckdb_from_time_tz (*p_duckdb_from_time_tz)
#define duckdb_function_get_extra_info (*p_duckdb_function_get_extra_info)
#define duckdb_function_get_init_data (*p_duckdb_function_get_init_data)
#define duckdb_get_type_id (*p_duckdb_get_type_id)
#define duckdb_init_set_error (*p_duckdb_init_set_error)
#define duckdb_init_set_init_data (*p_duckdb_init_set_init_data)
#define duckdb_init_set_max_threads (*p_duckdb_init_set_max_threads)
#define duckdb_interrupt (*p_duckdb_interrupt)
#define duckdb_list_type_child_type (*p_duckdb_list_type_child_type)
#define duckdb_list_vector_get_child (*p_duckdb_list_vector_get_child)
#define duckdb_malloc (*p_duckdb_malloc)
#define duckdb_map_type_key_type (*p_duckdb_map_type_key_type)
#define duckdb_map_type_value_type (*p_duckdb_map_type_value_type)
#define duckdb_open_ext (*p_duckdb_open_ext)
#define duckdb_pending_error (*p_duckdb_pending_error)
#define duckdb_pending_prepared_streaming (*p_duckdb_pending_prepared_streaming)
#define duckdb_prepare_error (*p_duckdb_prepare_error)
#define duckdb_prepare_extracted_statement (*p_duckdb_prepare_extracted_statement)
#define duckdb_prepared_statement_type (*p_duckdb_prepared_statement_type)
#define duckdb_query (*p_duckdb_query)
#define duckdb_register_table_function (*p_duckdb_register_table_function)
#define duckdb_result_error (*p_duckdb_result_error)
#define duckdb_result_get_arrow_options (*p_duckdb_result_get_arrow_options)
#define duckdb_result_return_type (*p_duckdb_result_return_type)
#define duckdb_set_config (*p_duckdb_set_config)
#define duckdb_string_t_data (*p_duckdb_string_t_data)
#define duckdb_string_t_length (*p_duckdb_string_t_length)
#define duckdb_struct_type_child_count (*p_duckdb_struct_type_child_count)
#define duckdb_struct_type_child_name (*p_duckdb_struct_type_child_name)
#define duckdb_struct_type_child_type (*p_duckdb_struct_type_child_type)
#define duckdb_struct_vector_get_child (*p_duckdb_struct_vector_get_child)
#define duckdb_table_function_set_bind (*p_duckdb_table_function_set_bind)
#define duckdb_table_function_set_extra_info (*p_duckdb_table_function_set_extra_info)
#define duckdb_table_function_set_function (*p_duckdb_table_function_set_function)
#define duckdb_table_function_set_init (*p_duckdb_table_function_set_init)
#define duckdb_table_function_set_name (*p_duckdb_table_function_set_name)
#define duckdb_to_arrow_schema (*p_duckdb_to_arrow_schema)
#define duckdb_union_type_member_type (*p_duckdb_union_type_member_type)
#define duckdb_unsafe_vector_assign_string_element_len                                             \
    (*p_duckdb_unsafe_vector_assign_string_element_len)
#define duckdb_validity_row_is_valid (*p_duckdb_validity_row_is_valid)
#define duckdb_validity_set_row_invalid (*p_duckdb_validity_set_row_invalid)
#define duckdb_vector_ensure_validity_writable (*p_duckdb_vector_ensure_validity_writable)
#define duckdb_vector_get_data (*p_duckdb_vector_get_data)
#define duckdb_vector_get_validity (*p_duckdb_vector_get_validity)
#define duckdb_vector_size (*p_duckdb_vector_size)
/* clang-format on */

#endif
