-- requiredConsentCategories
SELECT category_key FROM destination_consent_categories WHERE destination_id = $1 ORDER BY category_key;
